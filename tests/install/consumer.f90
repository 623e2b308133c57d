! The Fortran module from an installed firecrest-auth (see consumer.c).
program consumer
  use, intrinsic :: iso_c_binding, only: c_int32_t, c_int64_t
  use firecrest_auth
  implicit none

  type(f7t_auth) :: auth
  character(len=:), allocatable :: token
  integer(c_int32_t) :: status

  status = f7t_auth_static_token_new('install-test-token', 0_c_int64_t, &
      auth)
  if (status == F7T_STATUS_OK) &
      status = f7t_auth_get_access_token(auth, token)
  call f7t_auth_free(auth)
  if (status /= F7T_STATUS_OK) then
    print '(a)', f7t_last_error_message()
    error stop 1
  end if
  if (token /= 'install-test-token') error stop 1
  print '(2a, a)', 'Fortran via pkg-config: firecrest-auth ', &
      f7t_version(), ' works'
end program consumer
